"""HTTP API: Litestar app, msgspec wire types, auth."""
