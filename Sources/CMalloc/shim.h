// glibc's malloc tuning (mallopt), which the Glibc module does not import, as CMalloc.
#include <malloc.h>
