"""Lab 01 reference solution: an HTTP/1.1 server on the standard library's sockets."""
