"""Every byte format of kgw, in one place: the spec the Zig filter's constants are generated from.

    reader.py   varints, zigzag, `str` (varint length + bytes), and the one bounds-checked Reader
    limits.py   every limit a verifier enforces            flags.py   program header flags, phases
    opcodes.py  the bytecode instruction set                verify.py  one phase's code: operands, jumps, stack
    regex.py    regex programs: instruction set, RegexProgram, encode_regex / decode_regex
    program.py  the program container (KGW, version 2): ProgramImage, encode_program / decode_program
    bundle.py   the plugin configuration (KGWS bundle or one program): encode_bundle / decode_config
    variants.py the builds of the wasm filter (callbacks each exports) and what a program needs of them
    errors.py   VerifyError, RegexFormatError, BundleError

Codecs are plain functions over plain data classes; this package imports nothing else from kgw_rules.
docs/architecture.md ("Byte formats") maps each format to its doc and its Zig twin.
"""
from .bundle import BundleRoute, decode_config, encode_bundle
from .errors import BundleError, RegexFormatError, VerifyError
from .opcodes import DESCRIPTOR_HEADER_PREFIX, IDENTITY_HEADERS, descriptor_header, descriptor_key_ok
from .program import LineEntry, ProgramImage, decode_program, encode_program
from .regex import RegexProgram, decode_regex, encode_regex
from .variants import VARIANTS, Needs, Variant, program_needs, variant_for

__all__ = ["DESCRIPTOR_HEADER_PREFIX", "IDENTITY_HEADERS", "VARIANTS", "BundleError", "BundleRoute", "LineEntry",
           "Needs", "ProgramImage", "RegexFormatError", "RegexProgram", "Variant", "VerifyError", "decode_config",
           "decode_program", "decode_regex", "descriptor_header", "descriptor_key_ok", "encode_bundle",
           "encode_program", "encode_regex", "program_needs", "variant_for"]
