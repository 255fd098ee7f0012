// The C API of primesieve (Debian: libprimesieve-dev), imported into Swift as CPrimesieve.
#include <primesieve.h>
#include <primesieve/iterator.h>
