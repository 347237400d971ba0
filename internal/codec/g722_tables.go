package codec

// Constants of ITU-T G.722 (11/88 and later) sub-band ADPCM at 64 kbit/s:
// the quantiser, inverse quantiser, log-scale and QMF tables of the
// Recommendation's block descriptions.

// g722QMF holds the 24-tap transmit/receive QMF coefficients (Table 11),
// one half; the other half is the same set reversed.
var g722QMF = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}

// Low band (6-bit) quantiser decision levels, scaled (Table 6 / QUANTL).
var g722Q6 = [32]int32{
	0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
	786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
}

// Low band codes for a negative (g722ILN) or positive (g722ILP) error in
// each quantiser interval.
var g722ILN = [32]uint8{
	0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
	18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0,
}
var g722ILP = [32]uint8{
	0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
	46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0,
}

// Low band inverse quantiser outputs for 6-bit (64 kbit/s) codes (INVQBL).
var g722QM6 = [64]int32{
	-136, -136, -136, -136, -24808, -21904, -19008, -16704,
	-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
	-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
	-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
	24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
	10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
	4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
	1688, 1360, 1040, 728, 432, 136, -432, -136,
}

// Low band 4-bit inverse quantiser used by the predictor (INVQAL).
var g722QM4 = [16]int32{
	0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
	20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
}

// Low band log-scale factor adaptation: code magnitude and its multiplier.
var g722RL42 = [16]uint8{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
var g722WL = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}

// Inverse log base 2 table for the scale factors (ILB).
var g722ILB = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}

// High band (2-bit) inverse quantiser, log-scale multiplier and codes.
var g722QM2 = [4]int32{-7408, -1616, 7408, 1616}
var g722RH2 = [4]uint8{2, 1, 2, 1}
var g722WH = [3]int32{0, -214, 798}
var g722IHN = [3]uint8{0, 1, 0}
var g722IHP = [3]uint8{0, 3, 2}
