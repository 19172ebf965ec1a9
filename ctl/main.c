/* rentarkctl: the command line client of the rentarkd control socket. */
#include "config.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("rentarkctl %s\n", RK_VERSION);
        return 0;
    }
    fprintf(stderr, "rentarkctl: the control protocol is not available in this build yet\n");
    return 1;
}
