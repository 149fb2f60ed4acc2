export declare const MINIMUM_NODE: string;
export declare function nodeProblem(runtime: {
  version: string;
  typescript: string | false;
}): string | null;
