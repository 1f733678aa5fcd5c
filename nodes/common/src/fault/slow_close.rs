//! The `slow_close` fault (Toxiproxy's): closing a connection on the link
//! waits the given delay first. The bytes themselves are not touched; the
//! state lives in the stream (`FaultStream::closing`).
