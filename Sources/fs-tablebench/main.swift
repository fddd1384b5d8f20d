import FSTable
