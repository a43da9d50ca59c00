------------------------------ MODULE DieHard ------------------------------
(* The water-jug puzzle from Die Hard 3: measure 4 gallons with a 3- and a
   5-gallon jug. The invariant NotSolved fails exactly when big = 4. *)
EXTENDS Naturals

VARIABLES small, big

TypeOK == /\ small \in 0..3
          /\ big   \in 0..5

Init == /\ big = 0
        /\ small = 0

FillSmallJug  == /\ small' = 3
                 /\ big' = big
FillBigJug    == /\ big' = 5
                 /\ small' = small
EmptySmallJug == /\ small' = 0
                 /\ big' = big
EmptyBigJug   == /\ big' = 0
                 /\ small' = small

Min(m,n) == IF m < n THEN m ELSE n

SmallToBig == /\ big'   = Min(big + small, 5)
              /\ small' = small - (big' - big)
BigToSmall == /\ small' = Min(big + small, 3)
              /\ big'   = big - (small' - small)

Next == \/ FillSmallJug \* comment
        \/ FillBigJug
        \/ EmptySmallJug
        \/ EmptyBigJug
        \/ SmallToBig
        \/ BigToSmall

NotSolved == big # 4
=============================================================================
