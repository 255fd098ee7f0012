/// The largest r with r * r <= n.
func integerSquareRoot(_ n: UInt64) -> UInt64 {
    var root = UInt64(Double(n).squareRoot())
    while root.multipliedReportingOverflow(by: root).overflow || root * root > n { root -= 1 }
    while true {
        let next = root + 1
        let (square, overflow) = next.multipliedReportingOverflow(by: next)
        if overflow || square > n { return root }
        root = next
    }
}
