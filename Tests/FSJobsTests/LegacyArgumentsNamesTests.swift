import Testing
@testable import FSJobs

/// The long option names (ArgumentParser's whole description of a command) are built only for a
/// command line that has a single-dash token to rewrite.
@Suite struct LegacyArgumentsNamesTests {
    @Test func doubleDashFlagsNeverBuildTheNamesAndComeBackUnchanged() {
        var built = 0
        func names() -> Set<String> { built += 1; return ["input-table"] }
        let args = ["--input-table", "t", "--x=1", "-5", "-", "value"]
        #expect(LegacyArguments.normalize(args, longNames: names()) == args)
        #expect(built == 0)
    }

    @Test func aSingleDashFlagBuildsTheNamesOnceAndIsRewritten() {
        var built = 0
        func names() -> Set<String> { built += 1; return ["input-table", "output-table"] }
        let out = LegacyArguments.normalize(["-input-table", "a", "-output-table", "b", "-47.39", "-Xk=v"], longNames: names())
        #expect(out == ["--input-table", "a", "--output-table", "b", "-47.39", "-X", "k=v"])
        #expect(built == 1)
    }
}
