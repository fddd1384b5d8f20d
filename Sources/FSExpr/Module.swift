/// Module `FSExpr`: see Sources/README.md.
import FSCore
