"""Header flags of a bytecode program (docs/bytecode.md, "Flags") and the phase names."""

FLAG_REQUEST = 1
FLAG_RESPONSE = 2
FLAG_REQUEST_BODY = 4
FLAG_RESPONSE_BODY = 8
FLAG_LINES = 16
FLAG_WIDE = 32  # more than 256 constants: constant-index operands are two bytes instead of one
FLAG_NAMES = ((FLAG_REQUEST, "request"), (FLAG_RESPONSE, "response"), (FLAG_REQUEST_BODY, "request-body"),
              (FLAG_RESPONSE_BODY, "response-body"), (FLAG_LINES, "lines"), (FLAG_WIDE, "wide"))
KNOWN_FLAGS = sum(bit for bit, _ in FLAG_NAMES)

PHASES = ("request", "response")
PHASE_FLAGS = (FLAG_REQUEST, FLAG_RESPONSE)
