import FSCore
import Testing
@testable import FSExpr

/// The parser's output printed in prefix form, and every syntax error's message, column and caret.
struct ParserTests {
    @Test(arguments: [
        ("a + b * c", "(+ a (* b c))"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("-a * b", "(* (neg a) b)"),
        ("a = 1 AND b <> 2 OR NOT c", "(or (and (= a 1) (!= b 2)) (not c))"),
        ("a == 1", "(= a 1)"),
        ("a <=> NULL", "(<=> a NULL)"),
        ("x IS NOT NULL", "(is-not-null x)"),
        ("x is null", "(is-null x)"),
        ("x NOT IN (1, 2, 3)", "(not-in x 1 2 3)"),
        ("x BETWEEN 1 AND 5 AND y", "(and (between x 1 5) y)"),
        ("s LIKE 'a%'", "(like s 'a%')"),
        ("s NOT RLIKE '^a'", "(not-rlike s '^a')"),
        ("s regexp 'b'", "(rlike s 'b')"),
        ("CASE WHEN a > 1 THEN 'x' ELSE 'y' END", "(case (when (> a 1) 'x') (else 'y'))"),
        ("case a when 1 then 2 end", "(case a (when 1 2))"),
        ("CAST(a AS DOUBLE)", "(cast a double)"),
        ("a::bigint + 1", "(+ (cast a int64) 1)"),
        ("cast(a as decimal(10, 2))", "(cast a double)"),
        ("count(*)", "(call count *)"),
        ("COUNT(DISTINCT merchant_id)", "(call count distinct merchant_id)"),
        ("AVG(x) FILTER (WHERE p = 'IOS')", "(call avg x (filter (= p 'IOS')))"),
        ("first(x) IGNORE NULLS", "(call first x ignore-nulls)"),
        ("`total-amount` * 2", "(* total-amount 2)"),
        ("t.col", "t.col"),
        ("10 div 3 % 2", "(% (div 10 3) 2)"),
        ("1L + 2", "(+ 1L 2)"),
        ("3000000000", "3000000000L"),
        ("1.5D", "1.5"),
        ("1e3", "1000.0"),
        (".5", "0.5"),
        ("'it''s'", "'it's'"),
        ("\"dq\\tx\"", "'dq\tx'"),
        ("'a' 'b'", "'ab'"),
        ("DATE '2024-02-29'", "DATE'2024-02-29'"),
        ("TIMESTAMP '2024-01-01 10:00:00'", "TIMESTAMP'2024-01-01 10:00:00'"),
        ("INTERVAL 3 DAYS", "INTERVAL(259200000000us days)"),
        ("INTERVAL '2' HOUR", "INTERVAL(7200000000us)"),
        ("ts + INTERVAL 1 DAY 2 HOURS", "(+ ts INTERVAL(93600000000us))"),
        ("a || b", "(|| a b)"),
        ("a = 1 = true", "(= (= a 1) true)"),
        ("!a", "(not a)"),
        ("x IS TRUE", "(<=> x true)"),
        ("date + 1", "(+ date 1)"),
        ("current_date", "current_date"),
        ("a -- comment\n + 1", "(+ a 1)"),
    ])
    func parsesToTheExpectedTree(text: String, tree: String) throws {
        let node = try ExpressionParser.parse(text)
        #expect(node.description == tree)
    }

    @Test(arguments: [
        ("", "empty expression at column 1\n  \n  ^"),
        ("a + ", "expected an expression, found end of input at column 5\n  a + \n      ^"),
        ("a + )", "expected an expression, found ')' at column 5\n  a + )\n      ^"),
        ("(a + 1", "expected ')' to close '(', found end of input at column 7\n  (a + 1\n        ^"),
        ("a b", "unexpected 'b' after the end of the expression at column 3\n  a b\n    ^"),
        ("'abc", "unterminated string literal at column 1\n  'abc\n  ^"),
        ("`abc", "unterminated quoted identifier at column 1\n  `abc\n  ^"),
        ("a # b", "unexpected character '#' at column 3\n  a # b\n    ^"),
        ("12abc", "invalid number literal '12abc' at column 1\n  12abc\n  ^"),
        ("CAST(a AS money)", "unknown type 'money' at column 11\n  CAST(a AS money)\n            ^"),
        ("CAST(a money)", "expected AS in CAST, found 'money' at column 8\n  CAST(a money)\n         ^"),
        ("CASE a END", "expected WHEN in CASE, found 'END' at column 8\n  CASE a END\n         ^"),
        ("CASE WHEN a 1 END", "expected THEN after WHEN condition, found '1' at column 13\n  CASE WHEN a 1 END\n              ^"),
        ("CASE WHEN a THEN 1", "expected END to close CASE, found end of input at column 19\n  CASE WHEN a THEN 1\n                    ^"),
        ("x IN ()", "IN needs at least one value at column 7\n  x IN ()\n        ^"),
        ("x IS 5", "expected NULL, TRUE or FALSE after IS, found '5' at column 6\n  x IS 5\n       ^"),
        ("x BETWEEN 1 OR 2", "expected AND in BETWEEN, found 'OR' at column 13\n  x BETWEEN 1 OR 2\n              ^"),
        ("DATE '2024-02-30'", "invalid DATE literal '2024-02-30' at column 6\n  DATE '2024-02-30'\n       ^"),
        ("TIMESTAMP 'noon'", "invalid TIMESTAMP literal 'noon' at column 11\n  TIMESTAMP 'noon'\n            ^"),
        ("INTERVAL 3 MONTHS", "year-month intervals are not supported (use days) at column 12\n  INTERVAL 3 MONTHS\n             ^"),
        ("INTERVAL 3 parsecs", "expected an INTERVAL unit (DAY, HOUR, MINUTE, SECOND, …), found 'parsecs' at column 12\n  INTERVAL 3 parsecs\n             ^"),
        ("sum(x) OVER (PARTITION BY y)", "window functions (OVER) are not supported at column 8\n  sum(x) OVER (PARTITION BY y)\n         ^"),
        ("sum(x) FILTER (x > 1)", "expected WHERE in FILTER, found 'x' at column 16\n  sum(x) FILTER (x > 1)\n                 ^"),
        ("f(a, )", "expected an expression, found ')' at column 6\n  f(a, )\n       ^"),
        ("a AND", "expected an expression, found end of input at column 6\n  a AND\n       ^"),
        ("s LIKE 'a' ESCAPE 'xy'", "ESCAPE needs a one-character string, found ''xy'' at column 19\n  s LIKE 'a' ESCAPE 'xy'\n                    ^"),
        ("2147483648Y", "tinyint literal '2147483648Y' out of range at column 1\n  2147483648Y\n  ^"),
        ("1.5L", "invalid number literal '1.5L' at column 1\n  1.5L\n  ^"),
        ("t.", "expected a column name after '.', found end of input at column 3\n  t.\n    ^"),
        ("a::", "expected a type name, found end of input at column 4\n  a::\n     ^"),
        ("``", "empty quoted identifier at column 1\n  ``\n  ^"),
        ("é + )", "expected an expression, found ')' at column 5\n  é + )\n      ^"),
    ])
    func reportsSyntaxErrorsWithColumnAndCaret(text: String, message: String) {
        #expect(throws: ExprError.self) { try ExpressionParser.parse(text) }
        do {
            _ = try ExpressionParser.parse(text)
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.exitStatus == .usage)
            #expect(error.description == message)
        }
    }

    @Test func keywordsAreCaseInsensitiveButIdentifiersKeepTheirCase() throws {
        let a = try ExpressionParser.parse("Sum(X) fIlTeR (wHeRe Y iS nOt NuLl)")
        #expect(a.description == "(call sum X (filter (is-not-null Y)))")
    }

    @Test func nodeOffsetsPointAtTheOperator() throws {
        let node = try ExpressionParser.parse("abc + d")
        #expect(node.offset == 4)
        if case .binary(_, let l, let r) = node.kind {
            #expect(l.offset == 0)
            #expect(r.offset == 6)
        } else {
            Issue.record("expected a binary node, got \(node)")
        }
    }
}
