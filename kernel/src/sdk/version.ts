/** Semver of the public plugin SDK. A plugin's manifest `kernel` range is checked against it. */
export const SDK_VERSION = "1.0.0";
