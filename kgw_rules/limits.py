"""Program limits. The compiler reports going over one as an error naming it; the verifiers (Python and
the Zig filter) enforce the same numbers."""

MAX_CODE_BYTES = 64 * 1024  # bytecode of one program, without its line table
MAX_CONSTANTS = 4096
MAX_VARIABLES = 256
MAX_REGEXES = 64
MAX_NESTING = 32
MAX_STACK = 256
