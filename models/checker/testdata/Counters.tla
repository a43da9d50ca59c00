------------------------------ MODULE Counters ------------------------------
(* A large, regular state space for benchmarks: (N+1)^2 * N states. *)
EXTENDS Naturals

CONSTANT N

VARIABLES a, b, c

Init == a = 0 /\ b = 0 /\ c = 0

Next == \/ /\ a < N
           /\ a' = a + 1
           /\ UNCHANGED <<b, c>>
        \/ /\ b < N
           /\ b' = b + 1
           /\ UNCHANGED <<a, c>>
        \/ /\ c' = (c + 1) % N
           /\ UNCHANGED <<a, b>>

TypeOK == a \in 0..N /\ b \in 0..N /\ c \in 0..N
=============================================================================
