pub(crate) struct SqliteStore; pub(crate) struct PgStore;
