#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h on Debian; repeated here so the module does not depend on it. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
