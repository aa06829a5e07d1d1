import Foundation
import Testing
@testable import YunqiaoCore

/// The id lists of a text column read the same by the fast path as by the JSON decoder.
@Suite struct IDListTests {
    @Test(arguments: [[], ["D1"], ["D1", "D2", "部门 3"], ["a,b", "c]d", "e[f"], ["with \"quote\"", "back\\slash", "tab\there"]])
    func roundTrips(_ ids: [String]) {
        #expect(IDList.decode(IDList.encode(ids)) == ids)
    }

    @Test func readsWhatTheDecoderReadsAndRefusesWhatItRefuses() {
        #expect(IDList.plain(#" [ "a" , "b" ] "#) == ["a", "b"])
        #expect(IDList.plain(#"["a\"b"]"#) == nil)  // escapes go to the decoder
        #expect(IDList.decode(#"["a\"b"]"#) == ["a\"b"])
        for broken in ["", "[", #"["a""#, #"["a",]"#, #"["a"] x"#, "[1]", "{}"] {
            #expect(IDList.plain(broken) == nil, "\(broken)")
            #expect(IDList.decode(broken) == ((try? JSONDecoder().decode([String].self, from: Data(broken.utf8))) ?? []), "\(broken)")
        }
    }
}
