"""Lab 01: an HTTP/1.1 server on the standard library's sockets."""
