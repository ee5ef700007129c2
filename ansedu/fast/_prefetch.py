"""``prefetch(array, i)``: a hint to the processor to load ``array[i]`` into the cache (numba only).

The full coder's kernels (:mod:`ansedu.fast.fullcoder`) know some table entries a few bits or
bytes before they read them; asking for them early lets the memory system fetch several at once
instead of one after the other. A hint changes no result. This module imports numba, so it is
imported only when the kernels are compiled.
"""

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

# The intrinsic's name carries its pointer type: opaque pointers ("p0") since LLVM 17, "p0i8" before.
_NAME = "llvm.prefetch.p0" if binding.llvm_version_info >= (17,) else "llvm.prefetch.p0i8"


@intrinsic
def prefetch(typingctx, array, index):
    """LLVM's ``llvm.prefetch`` (read, high locality, data cache) of ``array[index]``; no bounds check
    is needed (a prefetch never faults), but the callers pass valid indices anyway."""
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _NAME)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
