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

    /// A job document names its fields (`CodingKeys`, which Mango's field lists use): one left
    /// out would be neither written nor read, and the job would come back without it.
    @Test func aJobDocumentKeepsEveryField() throws {
        let job = JobRecordTests.edgeJob()
        let document = CouchDBJobDocument(job, revision: "1-a")
        let read = try JSONDecoder().decode(CouchDBJobDocument.self, from: try CouchDBHTTP.encode(document))
        #expect(read == document)
        #expect(try read.job() == job)
    }
}
