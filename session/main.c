/* rentark-session: the X11 client in the guest's session. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("rentark-session %s\n", RK_VERSION);
        return 0;
    }
    fprintf(stderr, "rentark-session: not available in this build yet\n");
    return 1;
}
