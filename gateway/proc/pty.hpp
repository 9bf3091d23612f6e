#pragma once
// The standard streams of a child the gateway attaches to a client (`run`):
// pipes, or a pseudo-terminal whose slave becomes the child's controlling
// terminal (see run_attached in process.hpp). The gateway's ends are
// non-blocking; the child's ends are blocking, as programs expect.
#include <optional>

#include "proc/fd.hpp"
#include "proc/process.hpp"
#include "util/result.hpp"

namespace porter::proc {

struct WindowSize {
  unsigned short rows = 24;
  unsigned short cols = 80;
};

// Both ends of a child's standard streams. The gateway writes `input` and
// reads `output` and `errors` (none with a terminal: it merges them). With a
// terminal, `input` and `output` are two descriptors of its master, so
// closing `input` (the client's EOF) leaves the terminal open, as sshd does.
struct AttachedStreams {
  Fd input, output, errors;
  Fd child_in, child_out, child_err;  // the slave thrice, with a terminal
  bool terminal = false;

  // The child's side, to give to run_attached.
  Stdio child() const { return {child_in.get(), child_out.get(), child_err.get(), terminal}; }
  // The master, whose window size the client may change; -1 without a terminal.
  int master() const { return terminal ? output.get() : -1; }
};

// Three pipes: stdin, stdout and stderr stay apart.
Result<AttachedStreams> attach_pipes();
// A pseudo-terminal of `size`, its slave in raw mode: the program attached
// to it (podman run -t) puts its own terminal there, and nothing is echoed
// or translated twice meanwhile.
Result<AttachedStreams> attach_terminal(WindowSize size);

// Sets a terminal's size on its master; the kernel signals SIGWINCH to its
// foreground process group.
bool set_window_size(int master, WindowSize size);

// A size as a client asked for it, within what a terminal can be (0 or
// absurd values: the default).
WindowSize window_size(int cols, int rows);

}  // namespace porter::proc
