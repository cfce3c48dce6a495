import { jobTransportContract } from "./job-transport.contract.js";

jobTransportContract("in-process", undefined);
