#include "msg_png.h"
#include <png.h>
int msg_png_version(void) { return PNG_LIBPNG_VER; }
