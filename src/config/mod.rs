//! Configuration: the user-facing file format, its parsing and validation, and the compiled form
//! the request path reads.

pub mod secret;
