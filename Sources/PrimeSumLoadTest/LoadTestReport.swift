/// `--report FILE.html`: one self-contained page (inline SVG, no scripts, no network fetches)
/// with throughput and latency over time, the status codes and the summary table.
public enum LoadTestReport {
    public static func html(_ summary: LoadTestSummary) -> String {
        let seconds = summary.timeline.map { Double($0.second) }
        let throughput = chart(
            title: "Jobs per second", x: seconds,
            series: [
                ("launched", "#4c78a8", summary.timeline.map { Double($0.launched) }),
                ("finished", "#54a24b", summary.timeline.map { Double($0.finished) }),
                ("requests", "#b279a2", summary.timeline.map { Double($0.requests) }),
            ])
        // Seconds in which nothing finished have no latency to plot.
        let finishing = summary.timeline.filter { $0.finished > 0 }
        let latency = chart(
            title: "End-to-end latency of the jobs finished in each second (ms)",
            x: finishing.map { Double($0.second) },
            series: [("p50", "#4c78a8", finishing.map(\.p50)), ("p99", "#e45756", finishing.map(\.p99))])
        func row(_ name: String, _ latency: LoadTestSummary.Latency) -> String {
            "<tr><th>\(escape(name))</th>"
                + [latency.min, latency.p50, latency.p90, latency.p95, latency.p99, latency.max]
                .map { "<td>\(formatted($0))</td>" }.joined() + "<td>\(latency.count)</td></tr>"
        }
        let latencyRows =
            [row("end to end", summary.endToEnd)]
            + summary.requestLatency.sorted { $0.key < $1.key }.map { row($0.key, $0.value) }
        let codes = summary.statusCodes.sorted { $0.key < $1.key }
            .map { "<tr><th>\(escape($0.key))</th><td>\($0.value)</td></tr>" }.joined()
        let errors =
            summary.errors.isEmpty
            ? "<tr><td>none</td></tr>"
            : summary.errors.sorted { $0.key < $1.key }.map {
                "<tr><th>\(escape($0.key))</th><td>\($0.value)</td></tr>"
            }
            .joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>primesum load test</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; } th, td { padding: 4px 10px; text-align: right; }
            th { text-align: left; } tr:nth-child(even) { background: #f4f4f4; } svg { display: block; margin: 1em 0; }
            </style></head><body>
            <h1>primesum load test</h1>
            <p>Mode <b>\(escape(summary.mode))</b> against \(escape(summary.target)), \(formatted(summary.durationSeconds)) s:
            \(summary.launched) jobs launched, \(summary.finished) finished, \(summary.dropped) dropped,
            \(formatted(summary.jobsPerSecond)) finished per second, \(summary.requests) requests
            (\(formatted(summary.requestsPerJob)) per job).</p>
            \(throughput)
            \(latency)
            <h2>Latency (ms)</h2>
            <table><tr><th></th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>count</th></tr>
            \(latencyRows.joined(separator: "\n"))</table>
            <h2>Status codes</h2><table>\(codes)</table>
            <h2>Errors</h2><table>\(errors)</table>
            </body></html>
            """
    }

    /// A line chart as inline SVG, with axes, a y scale and a legend.
    static func chart(title: String, x: [Double], series: [(String, String, [Double])]) -> String {
        let width = 760.0
        let height = 260.0
        let left = 60.0
        let bottom = 30.0
        let top = 30.0
        let maxX = max(x.max() ?? 1, 1)
        let maxY = max(series.flatMap(\.2).max() ?? 1, 1)
        func px(_ value: Double) -> Double { left + value / maxX * (width - left - 10) }
        func py(_ value: Double) -> Double { height - bottom - value / maxY * (height - bottom - top) }
        let lines = series.map { name, color, values in
            let points = zip(x, values).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
            return
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"><title>\(escape(name))</title></polyline>"
        }
        let legend = series.enumerated().map { index, entry in
            let offset = left + Double(index) * 110
            return "<rect x=\"\(offset)\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(entry.1)\"/>"
                + "<text x=\"\(offset + 16)\" y=\"18\">\(escape(entry.0))</text>"
        }
        return """
            <h2>\(escape(title))</h2>
            <svg width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(escape(title))">
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - 10)" y2="\(height - bottom)" stroke="#888"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="#888"/>
            <text x="\(left - 6)" y="\(top + 4)" text-anchor="end">\(formatted(maxY))</text>
            <text x="\(left - 6)" y="\(height - bottom)" text-anchor="end">0</text>
            <text x="\(width - 10)" y="\(height - 8)" text-anchor="end">\(Int(maxX)) s</text>
            \(lines.joined(separator: "\n"))
            \(legend.joined(separator: "\n"))
            </svg>
            """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
