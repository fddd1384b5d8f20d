/// Module `FSParquet`: see Sources/README.md.
import FSCore
