"""Build the Cython core (ccsim/_*.pyx) against numpy's headers and its random C library."""
import os
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NUMPY_RANDOM_LIB = os.path.join(np.get_include(), "..", "..", "random", "lib")

COMPILE = dict(
    include_dirs=[np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3"],
)
# numpy's C random routines (npyrandom) only for the modules that draw
RANDOM = dict(library_dirs=[NUMPY_RANDOM_LIB], libraries=["npyrandom", "m"])
MATH = dict(libraries=["m"])

# _core is one large C unit (its loop plus the Python-facing methods): GCC's default budget for
# inlining into a unit (inline-unit-growth 40 %) runs out, and which small hot function is left
# out of line then moves with unrelated code; at 100 % none is left out for lack of budget.
# Added only where the compiler accepts it (BuildExt).
CORE_ONLY_FLAGS = ["--param=inline-unit-growth=100"]


class BuildExt(build_ext):
    """build_ext that gives _core the flags of CORE_ONLY_FLAGS the compiler accepts."""

    def build_extensions(self):
        accepted = [flag for flag in CORE_ONLY_FLAGS if self._accepts(flag)]
        for ext in self.extensions:
            if ext.name == "ccsim._core":
                ext.extra_compile_args = ext.extra_compile_args + accepted
        super().build_extensions()

    def _accepts(self, flag: str) -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "flag.c")
            with open(source, "w") as f:
                f.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([source], output_dir=tmp, extra_postargs=["-Werror", flag])
            except Exception:  # CompileError, or a compiler that is not a command line one
                return False
        return True


# _core holds the simulation and its loop; the others are small modules whose
# .pxd declares structs and inline functions (cimported by _core) and whose
# .pyx is a thin Python wrapper for their tests (STYLE.md "Growing the core").
extensions = [
    Extension("ccsim._core", sources=["ccsim/_core.pyx"], **COMPILE, **RANDOM),
    Extension("ccsim._heap", sources=["ccsim/_heap.pyx"], **COMPILE),
    Extension("ccsim._random", sources=["ccsim/_random.pyx"], **COMPILE, **RANDOM),
    Extension("ccsim._arrivals", sources=["ccsim/_arrivals.pyx"], **COMPILE, **RANDOM),
    Extension("ccsim._stats", sources=["ccsim/_stats.pyx"], **COMPILE, **MATH),
    Extension("ccsim._hours", sources=["ccsim/_hours.pyx"], **COMPILE, **MATH),
    Extension("ccsim._shifts", sources=["ccsim/_shifts.pyx"], **COMPILE, **MATH),
    Extension("ccsim._funnel", sources=["ccsim/_funnel.pyx"], **COMPILE, **RANDOM),
]

setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
