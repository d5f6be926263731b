import MSGWeights
typealias MSGWeightsFile = SafeTensorsFile
