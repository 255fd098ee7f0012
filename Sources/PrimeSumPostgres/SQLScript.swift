// Hand-written: PostgreSQL's extended protocol, which postgres-nio speaks, takes one statement
// at a time, and no available library splits a script of them.

/// A migration script cut into its statements, each sent on its own.
struct SQLScript {
    /// The statements, without their terminating `;`, in order.
    let statements: [String]

    /// Cuts `text` at each `;` outside a string, a quoted name, a dollar-quoted body (a
    /// function's) or a comment; `--` comments are dropped, and so are empty statements.
    init(_ text: String) {
        var statements: [String] = []
        var current = ""
        var characters = Substring(text)
        while let character = characters.first {
            if characters.hasPrefix("--") {
                characters = characters.drop { $0 != "\n" }
                continue
            }
            if character == "'" || character == "\"" {
                let quoted = Self.quoted(characters, closedBy: String(character))
                current += quoted
                characters = characters.dropFirst(quoted.count)
                continue
            }
            if character == "$", let tag = Self.dollarTag(characters) {
                let body = Self.quoted(characters, closedBy: tag, opening: tag.count)
                current += body
                characters = characters.dropFirst(body.count)
                continue
            }
            characters = characters.dropFirst()
            if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        statements.append(current)
        self.statements = statements.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// The text from `text`'s start through the first `closing` after its `opening` characters
    /// (or to the end, when unclosed); a doubled quote stays inside (`'it''s'`).
    private static func quoted(_ text: Substring, closedBy closing: String, opening: Int = 1) -> Substring {
        var end = text.index(text.startIndex, offsetBy: opening)
        while end < text.endIndex {
            guard text[end...].hasPrefix(closing) else {
                end = text.index(after: end)
                continue
            }
            end = text.index(end, offsetBy: closing.count)
            return text[..<end]
        }
        return text
    }

    /// `$$` or `$tag$` at the start of `text`, when it opens a dollar-quoted string.
    private static func dollarTag(_ text: Substring) -> String? {
        let rest = text.dropFirst()
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard rest.dropFirst(name.count).first == "$", name.first?.isNumber != true else { return nil }
        return "$\(name)$"
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
