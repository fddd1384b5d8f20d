/// A code per row of a string column, such that rows with equal codes hold equal strings: what
/// a producer that already interned its values (the online job's emitted keys are ids of its
/// key table) can hand to a dictionary encoder, so the encoder hashes each distinct value once
/// per column chunk instead of once per row.
///
/// Only a hint, never trusted: a consumer must still confirm that a row's bytes equal the
/// value it maps the code to (the Parquet writer compares them) and treat a mismatch as an
/// unhinted row. So a stale or wrong hint can cost time but never change what is written.
/// Kernels that build new columns (gather, concatenate, slicing) drop it.
public struct DictionaryHint: Sendable {
    /// The code of each row (the column's row count of them).
    public var codes: [UInt32]
    /// One more than the largest code: the size of a table indexed by code.
    public var codeCount: Int

    public init(codes: [UInt32], codeCount: Int) {
        self.codes = codes
        self.codeCount = codeCount
    }
}
