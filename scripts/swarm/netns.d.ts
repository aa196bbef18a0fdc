export interface LabNode {
    /** n1, n2, … */
    name: string;
    netns: string;
    address: string;
}
export interface LabNetwork {
    /** e.g. 198.18.7.0/24 */
    subnet: string;
    /** The host's own address on the lab's subnet. */
    hostAddress: string;
    hostLink: string;
    hub: string;
    nodes: LabNode[];
}
/**
 * Creates the hub and `count` node namespaces. `record` is called with every namespace and link right after it
 * exists, so that a failure halfway leaves nothing the lab's cleanup does not know of.
 */
export declare function createLabNetwork(id: string, count: number, record: (what: {
    netns?: string;
    hostLink?: string;
}) => void): Promise<LabNetwork>;
