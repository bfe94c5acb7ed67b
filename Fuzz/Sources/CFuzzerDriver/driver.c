// The declaration of libFuzzer's driver lives in include/CFuzzerDriver.h; the symbol comes from
// libFuzzer, linked by -sanitize=fuzzer.
#include "CFuzzerDriver.h"
