# Growing malloc'd arrays from nogil code (shared by the core's modules).
from libc.stdint cimport int64_t
from libc.stdlib cimport realloc


cdef inline int grow(void** buffer, int64_t* capacity, size_t item) noexcept nogil:
    """Double a malloc'd array in place; -1 when out of memory (the old one stays valid)."""
    cdef void* grown = realloc(buffer[0], 2 * capacity[0] * item)
    if grown == NULL:
        return -1
    buffer[0] = grown
    capacity[0] *= 2
    return 0
