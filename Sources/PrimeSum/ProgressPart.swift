/// One part of a computation that counts its progress in units of its own: `units` of them
/// advance the whole by `budget` of the control's units, so parts whose units cost different
/// times each move the progress in step with the time they take.
struct ProgressPart: Sendable {
    let control: ComputeControl
    private let factor: Double

    init(_ control: ComputeControl, units: UInt64, budget: UInt64) {
        self.control = control
        factor = Double(budget) / Double(max(units, 1))
    }

    func advance(by units: UInt64) { control.advance(by: UInt64(Double(units) * factor)) }

    func checkCancellation() throws(PrimeSumError) { try control.checkCancellation() }
}
