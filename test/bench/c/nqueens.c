/* nqueens.c — count the solutions of 12 queens by backtracking; baseline for nqueens.omni. */
#include <stdio.h>

static int n_queens;
static int cols[32];

static int ok(int row, int col)
{
    for (int r = 0; r < row; r++) {
        int c = cols[r];
        if (c == col || c - col == row - r || col - c == row - r)
            return 0;
    }
    return 1;
}

static long place(int row)
{
    if (row == n_queens)
        return 1;
    long count = 0;
    for (int col = 0; col < n_queens; col++)
        if (ok(row, col)) {
            cols[row] = col;
            count += place(row + 1);
        }
    return count;
}

int main(void)
{
    volatile int n = 12;
    n_queens = n;
    printf("%ld\n", place(0));
    return 0;
}
