import Foundation
import Testing

@testable import primesum

@Suite struct ProcessorCheckTests {
    private static let flags =
        "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe POPCOUNT_HERE aes xsave avx f16c rdrand hypervisor lahf_lm"

    @Test func aProcessorWithPopcntRunsTheEngine() {
        let cpuinfo =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
            + Self.flags.replacingOccurrences(of: "POPCOUNT_HERE", with: "popcnt") + "\n"
        #expect(ProcessorCheck.problem(cpuinfo: cpuinfo) == nil)
    }

    @Test func aProcessorWithoutPopcntIsNamedBeforeTheEngineRuns() throws {
        let cpuinfo =
            "processor\t: 0\n" + Self.flags.replacingOccurrences(of: "POPCOUNT_HERE", with: "abm") + "\n"
        let problem = try #require(ProcessorCheck.problem(cpuinfo: cpuinfo))
        #expect(problem.contains("POPCNT") && problem.contains("x86-64-v2"))
    }

    @Test func cpuinfoWithoutFlagsIsNoReasonToRefuse() {
        #expect(ProcessorCheck.problem(cpuinfo: "processor\t: 0\nmodel name\t: something\n") == nil)
    }

    @Test func thisMachineRunsTheEngine() {
        #expect(ProcessorCheck.problem() == nil)
    }
}
