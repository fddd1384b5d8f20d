import FSCore
import FSTable
