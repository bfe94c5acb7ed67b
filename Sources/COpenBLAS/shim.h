// OpenBLAS own header: <cblas.h> may resolve to the netlib one through the libblas alternative.
#include <cblas-openblas.h>
