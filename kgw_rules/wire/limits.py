"""Every limit a verifier enforces: the Python decoders read these, the filter's are generated from them
(wasm_filter/src/wire.zig), and the compilers report going over one as an error naming it."""

# one bytecode program (docs/bytecode.md)
MAX_CODE_BYTES = 64 * 1024  # bytecode of one phase, without the line table
MAX_CONSTANTS = 4096
MAX_VARIABLES = 256
MAX_REGEXES = 64
MAX_STACK = 256

# one regex program (docs/regex.md)
MAX_REGEX_INSTRUCTIONS = 2048
MAX_REGEX_GROUPS = 32  # capture groups besides the implicit group 0
MAX_REGEX_CLASSES = MAX_REGEX_INSTRUCTIONS  # each CLASS instruction references at most one new class
MAX_CLASS_RANGES = 128  # a 256-bit set has at most 128 maximal runs

# a bundle (docs/data-plane.md)
MAX_BUNDLE_PROGRAMS = 4096
MAX_ROUTE_PROGRAMS = 64
