import Testing
@testable import FSStreams

@Suite struct FieldNameTableTests {
    private func find(_ t: FieldNameTable, _ key: String) -> Int? {
        Array(key.utf8).withUnsafeBufferPointer { t.field(named: $0) }
    }

    @Test(arguments: [StreamType.orderEvents, .orderStatusEvents, .restaurantEvents, .consumerEvents])
    func everyFieldIsFoundByItsNameAndNearMissesAreNot(type: StreamType) {
        let names = type.fields.map(\.name)
        let t = FieldNameTable(names: names)
        for (f, n) in names.enumerated() {
            #expect(find(t, n) == f)
            #expect(String(decoding: t.name(f), as: UTF8.self) == n)
            #expect(find(t, n + "x") == nil)
            #expect(find(t, String(n.dropLast())) == nil || names.contains(String(n.dropLast())))
            #expect(find(t, n.uppercased()) == nil)
        }
        #expect(find(t, "") == nil)
    }

    @Test func aRepeatedNameFindsItsFirstFieldAndAnEmptyNameIsAName() {
        let t = FieldNameTable(names: ["a", "", "b", "a"])
        #expect(find(t, "a") == 0)
        #expect(find(t, "") == 1)
        #expect(find(t, "b") == 2)
    }

    @Test func theGuessIsSchemaOrderUntilAnotherOrderIsLearned() {
        let t = FieldNameTable(names: ["x", "y", "z"])
        #expect(t.guess(after: -1) == 0)
        #expect(t.guess(after: 0) == 1)
        #expect(t.guess(after: 2) == 3)  // past the last field: no guess
        t.learn(2, after: -1)
        t.learn(0, after: 2)
        #expect(t.guess(after: -1) == 2)
        #expect(t.guess(after: 2) == 0)
        #expect(t.guess(after: 0) == 1)
    }

    @Test func manyNamesWithCollidingPrefixesAreAllFound() {
        let names = (0..<500).map { "field_\($0 % 10)_\($0)" }
        let t = FieldNameTable(names: names)
        for (f, n) in names.enumerated() { #expect(find(t, n) == f) }
        #expect(find(t, "field_0_500") == nil)
    }
}
