// Package apiclient is a client of callrec serve's HTTP API, used by
// the `callrec recordings`, `callrec calls` and `callrec record`
// commands. It declares its own types for what it reads of the API's
// JSON and keeps each answer's raw body too, so that a command's --json
// output is the server's answer unchanged (fields this client does not
// know included).
//
// A Client holds no goroutines; it is safe for concurrent use. Every
// call takes a ctx first and stops with it. Errors the server answers
// are *Error values with the status and the API's code and message.
package apiclient
