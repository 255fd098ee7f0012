import Foundation
import Testing

@testable import PrimeSumCouchDB

/// What primesum sends CouchDB is the same bytes whichever process sends it: an index
/// definition in another key order would be taken for a new index and rebuilt.
@Suite struct CouchDBRequestBodyTests {
    @Test func bodiesHaveTheirKeysSortedWhateverTheDictionaryOrder() throws {
        let keys = (0..<12).map { "field\($0)" }
        let filter = JSONValue.object(
            Dictionary(uniqueKeysWithValues: keys.shuffled().map { ($0, JSONValue.integer(1)) }))
        let body: JSONValue = ["partial_filter_selector": filter, "fields": ["createdAt"]]
        let sorted = keys.sorted().map { "\"\($0)\":1" }.joined(separator: ",")
        #expect(
            String(decoding: try CouchDBHTTP.encode(body), as: UTF8.self)
                == #"{"fields":["createdAt"],"partial_filter_selector":{"# + sorted + "}}")
    }
}
