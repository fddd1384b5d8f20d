import FSCore

/// Replaces constant subtrees of a bound expression by their value, so that
/// `CAST(0 AS DOUBLE)` or `1 + 2` costs nothing per batch and the evaluator's literal paths
/// (scalar broadcast) apply. Folding evaluates the subtree on a one-row batch, so it has exactly
/// the evaluator's semantics.
enum ConstantFolder {
    static func fold(_ e: BoundExpr) -> BoundExpr {
        if case .literal = e { return e }
        if e.isConstant {
            let c = Evaluator.evaluate(e, columns: [], rowCount: 1, context: EvaluationContext(nowMicros: 0))
            return .literal(c[0], type: e.type)
        }
        switch e {
        case .column, .literal: return e
        case .aggregate(var call, let slot):
            call.arguments = call.arguments.map(fold)
            call.filter = call.filter.map(fold)
            return .aggregate(call, slot: slot)
        case .cast(let x, let t): return .cast(fold(x), to: t)
        case .arithmetic(let op, let l, let r, let t): return .arithmetic(op, fold(l), fold(r), type: t)
        case .negate(let x): return .negate(fold(x))
        case .compare(let op, let l, let r): return .compare(op, fold(l), fold(r))
        case .and(let l, let r): return .and(fold(l), fold(r))
        case .or(let l, let r): return .or(fold(l), fold(r))
        case .not(let x): return .not(fold(x))
        case .isNull(let x): return .isNull(fold(x))
        case .inList(let x, let items): return .inList(fold(x), items.map(fold))
        case .match(let x, let p, let k): return .match(fold(x), pattern: fold(p), kind: k)
        case .caseWhen(let ws, let other, let t):
            return .caseWhen(ws.map { BoundWhen(condition: fold($0.condition), result: fold($0.result)) }, otherwise: fold(other), type: t)
        case .function(let f, let args, let t): return .function(f, args.map(fold), type: t)
        }
    }
}
