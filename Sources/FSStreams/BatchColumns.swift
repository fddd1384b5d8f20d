import FSCore

/// The per-message slots and the columns of one micro-batch, in memory the parser reaches
/// through pointers (`EventBatchBuilder`'s storage).
///
/// Why: as arrays stored in the builder (`[Slot]`, `[StringColumnBuilder]`,
/// `[ColumnBuilder]`), every slot set and every column append of every field checked the
/// outer array's uniqueness before writing — ~60 `swift_isUniquelyReferenced` calls a
/// message, 4.6% of the ingest thread (bench/ANALYSIS.md, sixth pass). Here the pointers are
/// `let`s of one class (no exclusivity or uniqueness check on the way to a column), and the
/// builder checks that it owns this object once per message (`isKnownUniquelyReferenced`),
/// copying it first when it does not, so `EventBatchBuilder` keeps value semantics.
final class BatchColumns {
    /// One per payload field: the current message's tokens.
    let slots: UnsafeMutablePointer<Slot>
    let slotCount: Int
    /// The Kafka key (index 0), then the payload's string and JSON-text fields in field order.
    let strings: UnsafeMutablePointer<StringColumnBuilder>
    let stringCount: Int
    /// The payload's other fields in field order, then the derived event time, partition and
    /// offset (`fixedCount - 3`, `- 2`, `- 1`).
    let fixed: UnsafeMutablePointer<FixedColumn>
    let fixedCount: Int

    /// - Parameters:
    ///   - fixedTypes: the payload's fixed-width field types, in field order.
    init(slotCount: Int, stringCount: Int, fixedTypes: [DataType], rows: Int, stringBytes: (Int) -> Int) {
        self.slotCount = slotCount
        slots = .allocate(capacity: Swift.max(slotCount, 1))
        slots.initialize(repeating: Slot(), count: slotCount)
        self.stringCount = stringCount
        strings = .allocate(capacity: stringCount)
        for k in 0..<stringCount { (strings + k).initialize(to: StringColumnBuilder(rows: rows, bytes: stringBytes(k))) }
        let types = fixedTypes + [.timestamp, .int32, .int64]
        fixedCount = types.count
        fixed = .allocate(capacity: fixedCount)
        for (k, t) in types.enumerated() { (fixed + k).initialize(to: FixedColumn(type: t, capacity: rows)) }
    }

    /// An independent object with the same slots and rows.
    private init(copying o: BatchColumns) {
        slotCount = o.slotCount
        slots = .allocate(capacity: Swift.max(slotCount, 1))
        slots.initialize(from: o.slots, count: slotCount)
        stringCount = o.stringCount
        strings = .allocate(capacity: stringCount)
        for k in 0..<stringCount { (strings + k).initialize(to: o.strings[k].copy()) }
        fixedCount = o.fixedCount
        fixed = .allocate(capacity: fixedCount)
        for k in 0..<fixedCount { (fixed + k).initialize(to: o.fixed[k].copy()) }
    }

    func copy() -> BatchColumns { BatchColumns(copying: self) }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        for k in 0..<stringCount { strings[k].release() }
        strings.deinitialize(count: stringCount)
        strings.deallocate()
        for k in 0..<fixedCount { fixed[k].release() }
        fixed.deinitialize(count: fixedCount)
        fixed.deallocate()
    }

    /// The derived columns' indexes in `fixed`.
    var eventTimeColumn: Int { fixedCount - 3 }
    var partitionColumn: Int { fixedCount - 2 }
    var offsetColumn: Int { fixedCount - 1 }
}
