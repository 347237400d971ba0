package collect

import "syscall"

// syscallEMFILE is accept's error when the process is out of file
// descriptors: the server waits and retries instead of giving up.
var syscallEMFILE error = syscall.EMFILE
