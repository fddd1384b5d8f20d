/// Module `FSTable`: see Sources/README.md.
import FSCore
