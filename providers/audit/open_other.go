//go:build !unix

package audit

// noFollow has no equivalent here; Append still refuses anything but a
// regular file once it is open.
const noFollow = 0
