"""Build the Cython core against numpy's headers and its random C library."""
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

NUMPY_RANDOM_LIB = os.path.join(np.get_include(), "..", "..", "random", "lib")

core = Extension(
    "ccsim._core",
    sources=["ccsim/_core.pyx"],
    include_dirs=[np.get_include()],
    library_dirs=[NUMPY_RANDOM_LIB],
    libraries=["npyrandom", "m"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3"],
)

setup(
    ext_modules=cythonize(
        [core],
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
