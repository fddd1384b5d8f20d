/// Module `FSAggregation`: see Sources/README.md.
import FSCore
