/**
 * Regions of MediaPipe's 468-point face mesh as index rings (the canonical mesh's topology, the
 * same for every face). "Right" is the subject's right, on the image's left in a frontal photo.
 */
export const MESH_POINTS = 468;

/** The face's outline, forehead to chin, clockwise from the top. */
export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21,
  54, 103, 67, 109,
];
export const LIPS_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146];
/** The opening between the lips: where teeth show. */
export const LIPS_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];
export const RIGHT_EYE = [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7];
export const LEFT_EYE = [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249];
export const RIGHT_BROW = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
export const LEFT_BROW = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
export const NOSE_TIP = 1;
export const CHIN = 152;
/** The lower half of the outline, cheekbone to cheekbone through the chin: what face slimming moves. */
export const RIGHT_JAW = [132, 58, 172, 136, 150, 149, 176, 148];
export const LEFT_JAW = [361, 288, 397, 365, 379, 378, 400, 377];
/** The nose's base: its two lower corners beside the nostrils and the point below the tip (blemish removal keeps off it). */
export const NOSE_BASE = [98, 327, 2];
